"""The words: rendering, Markdown, channels, tone checks. Pure: no database, no clock."""
