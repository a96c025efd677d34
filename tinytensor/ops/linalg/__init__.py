"""Linear algebra by floors: products -> factorizations -> functions, solvers, distances ->
legacy (torch's older spellings). Each module imports only the floors below it; qr's
backward needs solve_triangular and pinv needs svd, so a split by topic would close cycles.
``tinytensor.linalg`` is the public namespace over these modules."""
