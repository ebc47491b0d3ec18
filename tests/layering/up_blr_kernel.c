/* Must NOT build: core/blr sits below core/kernel. */
#include "core/kernel/gp.h"
int layering_probe(void);
int layering_probe(void) { return 0; }
