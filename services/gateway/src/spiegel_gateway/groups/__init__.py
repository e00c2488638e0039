"""Groups of specialists (vakgroepen, maatschappen): who belongs to which, and since when."""
