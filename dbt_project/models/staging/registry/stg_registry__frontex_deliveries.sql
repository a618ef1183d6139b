-- The loaded frontex deliveries (macro feed_deliveries): what frontex's staging models read.
{{ feed_deliveries('frontex') }}
