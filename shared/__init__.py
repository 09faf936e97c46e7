"""What all three Kaoping services share: config, database, errors, auth, health, logs.

Importing the package gives flask-smorest's blueprints the house arguments parser
(``shared.inputs.ArgumentsParser``: 64-bit integers, JSON depth). Every service module
imports ``shared`` before it declares its views, so every ``@blp.arguments`` uses it.
"""

from flask_smorest import Blueprint as _Blueprint

from shared.inputs import ArgumentsParser as _ArgumentsParser

_Blueprint.ARGUMENTS_PARSER = _ArgumentsParser()
