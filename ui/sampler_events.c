/* ui/sampler_events.c - see ui/sampler_events.h. Each segment kind has one
 * look: intervals as lines (the stepped-out bracket dashed, the shrunk one
 * solid), points shrunk away as small crosses, the ellipse dotted, the
 * archive pair and the proposal axes dashed/dotted, replicas as their
 * ladder digit, an exchange as a dashed line between the two states, the
 * snooker's line through its archive point dotted with a ring on the point. */
#include "ui/sampler_events.h"

#include <math.h>

#include "ui/canvas.h"

#define ELLIPSE_POINTS 65

static void
segment(struct plot *p, const double *a, const double *b, size_t i, size_t k2, int color,
        uint32_t pattern)
{
    const double x[2] = {a[i], b[i]}, y[2] = {a[k2], b[k2]};
    plot_line(p, x, y, 2, color, pattern);
}

static void
draw_segments(struct plot *p, const sampler_event *ev, size_t i, size_t k2, bool ascii)
{
    size_t d = ev->d;
    for (size_t q = 0; q < ev->nseg && q < ev->seg_cap; q++) {
        const double *a = ev->seg + 2 * q * d, *b = a + d;
        switch (ev->seg_kind[q]) {
        case SAMPLER_SEG_BRACKET:
            segment(p, a, b, i, k2, COL_S3, PAT_DASHED);
            plot_marker(p, a[i], a[k2], '|', COL_S3, ATTR_NONE);
            plot_marker(p, b[i], b[k2], '|', COL_S3, ATTR_NONE);
            break;
        case SAMPLER_SEG_SHRUNK: segment(p, a, b, i, k2, COL_NEW, PAT_SOLID); break;
        case SAMPLER_SEG_ELLIPSE: {
            double x[ELLIPSE_POINTS], y[ELLIPSE_POINTS];
            for (int t = 0; t < ELLIPSE_POINTS; t++) {
                double th = 2 * M_PI * t / (ELLIPSE_POINTS - 1), c = cos(th), s = sin(th);
                x[t] = a[i] * c + b[i] * s;
                y[t] = a[k2] * c + b[k2] * s;
            }
            plot_line(p, x, y, ELLIPSE_POINTS, COL_S3, PAT_DOTTED);
            break;
        }
        case SAMPLER_SEG_REJECT:
            plot_marker(p, a[i], a[k2], ascii ? 'x' : 0x00D7, COL_S3, ATTR_NONE);
            break;
        case SAMPLER_SEG_DIFF:
            segment(p, a, b, i, k2, COL_S3, PAT_DASHED);
            plot_marker(p, b[i], b[k2], ascii ? '*' : 0x2022, COL_S3, ATTR_NONE);
            plot_marker(p, a[i], a[k2], ascii ? '*' : 0x2022, COL_S3, ATTR_NONE);
            break;
        case SAMPLER_SEG_AXIS: segment(p, a, b, i, k2, COL_S3, PAT_DOTTED); break;
        case SAMPLER_SEG_REPLICA:
            /* Replica 0 is the chain: the pane's own dot marks it. */
            if (ev->seg_tag[q] > 0 && ev->seg_tag[q] < 10)
                plot_marker(p, a[i], a[k2], (uint32_t)('0' + ev->seg_tag[q]), COL_S3, ATTR_BOLD);
            break;
        case SAMPLER_SEG_SWAP: segment(p, a, b, i, k2, COL_NEW, PAT_DASHED); break;
        case SAMPLER_SEG_SNOOKER:
            /* The line through the archive point z and w, out to the
             * proposal on whichever side of z it fell. */
            segment(p, a, b, i, k2, COL_S3, PAT_DOTTED);
            segment(p, a, ev->proposal, i, k2, COL_S3, PAT_DOTTED);
            plot_marker(p, a[i], a[k2], ascii ? 'o' : 0x25CB, COL_S3, ATTR_BOLD);
            break;
        default: break;
        }
    }
}

void
sampler_events_draw(struct plot *p, const struct sampler_job *j, size_t i, size_t k2, bool ascii)
{
    if (j == NULL || !j->have_ev || j->ev == NULL || j->ev[0] == NULL)
        return;
    unsigned events = j->kind->events;
    if (events & SAMPLER_EV_SEGMENTS)
        draw_segments(p, j->ev[0], i, k2, ascii);
    if (!(events & SAMPLER_EV_PARTICLES))
        return;
    for (size_t k = 1; k < j->K; k++) {
        const sampler_event *ev = j->ev[k];
        if (ev == NULL)
            continue;
        segment(p, ev->from, ev->proposal, i, k2, COL_NEW, PAT_SOLID);
        plot_marker(p, ev->proposal[i], ev->proposal[k2], ascii ? '@' : 0x25CF, COL_NEW,
                    ATTR_NONE);
    }
}
