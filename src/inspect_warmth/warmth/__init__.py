"""warmth."""
