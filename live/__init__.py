"""What runs beside the requests: the live demo park now, the feed worker, bus and push later."""
