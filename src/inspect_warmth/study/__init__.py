"""The study's experimental material and how it turns a question into the 28 user messages."""
