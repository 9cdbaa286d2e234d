"""How good a generator is: small classifiers trained on the user's data (`classifiers`), a
log-mel front end (`features`) and metrics computed from their outputs (`metrics`)."""
