"""The Import page's pieces: the file wizard, the Google Sheet source, and the report."""
