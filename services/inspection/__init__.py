"""inspection: open and unannounced spot checks, findings, rectification orders."""
