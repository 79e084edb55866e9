"""Reading mail: parsing raw RFC 5322 bytes and iterating mail sources."""
