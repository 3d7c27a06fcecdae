// ReconPostgres: the libpq wrapper.
