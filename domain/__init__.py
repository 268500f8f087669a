"""Pure domain logic: plain Python and pandas, no Dash, no Flask, no SQL dialect."""
