"""The reader: a cross-encoder the project trains itself, reading a question and a sentence together."""
