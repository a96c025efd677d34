"""Operations by family; each op's forward and backward sit together."""
