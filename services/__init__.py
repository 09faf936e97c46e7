"""The three Kaoping services and the command line that runs them."""
