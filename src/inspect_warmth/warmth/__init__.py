"""SocioT warmth (Methods, warmth; Cheng, Yu & Jurafsky 2025): ``socio_t`` (the library: ``score_texts``),
``scorer`` (the Inspect scorer ``inspect_warmth/socio_t``) and ``cli``
(``inspect-warmth warmth``). Nothing heavy is imported here."""
