/* lc_serialize.h: save and load; included by lc.h. */
#ifndef LC_SERIALIZE_H
#define LC_SERIALIZE_H

#endif
