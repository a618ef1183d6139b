-- The loaded aecid deliveries (macro feed_deliveries): what aecid's staging models read.
{{ feed_deliveries('aecid') }}
