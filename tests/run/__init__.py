"""Tests on the engine. A package, so that the ``engine`` fixture (package scope) stops its server when the last of
these tests ends: without ``__init__.py`` pytest scopes it to the whole session, and its ``VLLM_BASE_URL`` reaches
every later test on the same worker."""
