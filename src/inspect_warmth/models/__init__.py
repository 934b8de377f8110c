"""The bundled small chat model, for offline demos and tests."""
