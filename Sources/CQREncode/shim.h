#ifndef SKILLCERT_CQRENCODE_SHIM_H
#define SKILLCERT_CQRENCODE_SHIM_H

#include <qrencode.h>

#endif
