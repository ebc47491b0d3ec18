/* commands/model.c - the table of model classes (see model.h). A new model
 * is one file commands/model_NAME.c plus one line in each list below. */
#include "commands/model.h"

#include <string.h>

extern const struct model_class model_blr_class;
extern const struct model_class model_nig_class;
extern const struct model_class model_gp_class;
extern const struct model_class model_tp_class;
extern const struct model_class model_nn_class;
extern const struct model_class model_dkm_class;

/* In the order `help model` lists them. */
const struct model_class *const model_table[] = {
    &model_blr_class,
    &model_nig_class,
    &model_gp_class,
    &model_tp_class,
    &model_nn_class,
    &model_dkm_class,
    NULL,
};

#define MODEL_MAX 32 /* room for the subjects array; a test checks the table fits */

const struct model_class *
model_find(const char *name)
{
    for (size_t i = 0; model_table[i] != NULL; i++)
        if (strcmp(model_table[i]->subject.name, name) == 0)
            return model_table[i];
    return NULL;
}

const struct subject_spec *
model_subjects(void)
{
    /* The command table wants one contiguous array; the classes live in their
     * own files, so it is copied once. Single-threaded, like all of commands/. */
    static struct subject_spec subjects[MODEL_MAX + 1];
    static bool built;
    if (!built) {
        for (size_t i = 0; i < MODEL_MAX && model_table[i] != NULL; i++)
            subjects[i] = model_table[i]->subject;
        built = true;
    }
    return subjects;
}
