-- The loaded iom deliveries (macro feed_deliveries): what iom's staging models read.
{{ feed_deliveries('iom') }}
