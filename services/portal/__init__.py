"""The portal: people sign in and work in a browser (server-rendered pages)."""
