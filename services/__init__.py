"""kaohe's three services (evidence, scoring, ranking); the engine they run is `kaohe.engine`."""
