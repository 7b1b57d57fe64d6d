#include <cblas.h>
// Exported by OpenBLAS but not declared in every cblas.h: the thread count is set
// explicitly by the single thread owner (the engine), never left to OpenBLAS.
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
char *openblas_get_corename(void);
