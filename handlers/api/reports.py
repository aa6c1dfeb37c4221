"""placeholder"""

default_handlers: list = []
