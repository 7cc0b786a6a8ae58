"""Housing provident fund (公积金) service plugin."""
