"""Answers: from retrieved passages to a cited, checked answer.

``extractive`` quotes the best sentences (and decides abstention), ``llm`` asks an OpenAI-compatible
chat model, ``citations`` turns ``[n]`` markers into exact sentence citations, ``grounding`` checks
every answer sentence against its passages, and ``compose`` assembles the final ``Answer`` whichever
backend wrote the text.
"""
