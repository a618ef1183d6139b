"""One module per feed: the expectations its bronze deliveries and its marts must meet."""
