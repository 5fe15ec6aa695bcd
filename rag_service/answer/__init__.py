"""Answer generation: the offline extractive answerer (default) and, later, LLM backends."""
