/* Must NOT build: core/ may not see the terminal front end. */
#include "ui/canvas.h"
int layering_probe(void);
int layering_probe(void) { return 0; }
