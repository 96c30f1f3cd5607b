pytest_plugins = ["pdf_fixtures"]
