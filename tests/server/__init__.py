"""The process: configuration, masking, outages, shutdown, the WeChat token."""
