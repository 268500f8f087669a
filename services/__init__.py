"""What panels call: cached reads and commands that write. No Dash here."""
