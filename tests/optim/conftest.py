def pytest_configure(config):
    config.addinivalue_line("markers", "torch: compares with PyTorch (skipped without it)")
