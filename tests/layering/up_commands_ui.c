/* Must NOT build: commands/ never includes ui/. */
#include "ui/pane.h"
int layering_probe(void);
int layering_probe(void) { return 0; }
