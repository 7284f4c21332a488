/* lc_optim.h: optimizer update kernels; included by lc.h. */
#ifndef LC_OPTIM_H
#define LC_OPTIM_H

#endif
