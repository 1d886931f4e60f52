"""Maps: the base layers the web app may draw (bundled, online, the operator's) and the tile archives
(PMTiles, MBTiles) Heimdall serves from its tiles directory."""
