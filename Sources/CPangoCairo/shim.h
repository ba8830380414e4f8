#ifndef SKILLCERT_CPANGOCAIRO_SHIM_H
#define SKILLCERT_CPANGOCAIRO_SHIM_H

#include <cairo/cairo.h>
#include <cairo/cairo-pdf.h>
#include <pango/pangocairo.h>

#endif
