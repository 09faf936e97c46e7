"""What all three Kaoping services share: config, database, errors, auth, health, logs."""
