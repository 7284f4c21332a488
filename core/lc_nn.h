/* lc_nn.h: losses and index ops; included by lc.h. */
#ifndef LC_NN_H
#define LC_NN_H

#endif
