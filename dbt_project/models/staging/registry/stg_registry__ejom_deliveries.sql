-- The loaded ejom deliveries (macro feed_deliveries): what ejom's staging models read.
{{ feed_deliveries('ejom') }}
