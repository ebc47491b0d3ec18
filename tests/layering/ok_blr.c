/* Must build: the control for the probes above (a module sees its own
 * headers and those of the modules it links). */
#include "core/base/linalg.h"
#include "core/blr/blr.h"
int layering_probe(void);
int layering_probe(void) { return 0; }
