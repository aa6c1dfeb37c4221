"""The admin pages in headless Chromium, as a secretary uses them."""
