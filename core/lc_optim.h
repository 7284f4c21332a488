/* lc_optim.h: optimizer update kernels; included by lc.h. */
#ifndef LC_OPTIM_H
#define LC_OPTIM_H

/* Each kernel is one fused in-place pass over contiguous float32/float64
 * tensors of one shape and dtype, following PyTorch 1.13's single-tensor
 * (for-loop) algorithm and rounding order, so results match torch.optim.
 * Scalars are rounded to the tensors' dtype where PyTorch rounds them.
 * They never record autograd; every tensor written gets its storage version
 * bumped. Return 0, or -1 with lc_error() set (nothing is written then). */

/* SGD: momentum_buf may be NULL when momentum == 0; with first_step the
 * buffer is (re)initialised to the direction instead of decayed, as
 * PyTorch's `buf = clone(d_p)` on a parameter's first step. */
LC_API int lc_sgd_step(lc_tensor *param, const lc_tensor *grad, lc_tensor *momentum_buf,
                double lr, double momentum, double dampening, double weight_decay,
                bool nesterov, bool maximize, bool first_step);

/* Adam (decoupled = false) and AdamW (decoupled = true). step is the step
 * number after incrementing (1 on the first step). max_exp_avg_sq is used
 * only with amsgrad, where it is required. */
LC_API int lc_adam_step(lc_tensor *param, const lc_tensor *grad, lc_tensor *exp_avg,
                 lc_tensor *exp_avg_sq, lc_tensor *max_exp_avg_sq, int64_t step,
                 double lr, double beta1, double beta2, double eps, double weight_decay,
                 bool decoupled, bool amsgrad, bool maximize);

/* RMSprop: grad_avg only with centered, momentum_buf only with momentum > 0. */
LC_API int lc_rmsprop_step(lc_tensor *param, const lc_tensor *grad, lc_tensor *square_avg,
                    lc_tensor *grad_avg, lc_tensor *momentum_buf, double lr, double alpha,
                    double eps, double weight_decay, double momentum, bool centered,
                    bool maximize);

/* Adagrad: state_sum starts at initial_accumulator_value; step counts from 1. */
LC_API int lc_adagrad_step(lc_tensor *param, const lc_tensor *grad, lc_tensor *state_sum, int64_t step,
                    double lr, double lr_decay, double weight_decay, double eps, bool maximize);

LC_API int lc_adadelta_step(lc_tensor *param, const lc_tensor *grad, lc_tensor *square_avg,
                     lc_tensor *acc_delta, double lr, double rho, double eps,
                     double weight_decay, bool maximize);

LC_API int lc_adamax_step(lc_tensor *param, const lc_tensor *grad, lc_tensor *exp_avg,
                   lc_tensor *exp_inf, int64_t step, double lr, double beta1, double beta2,
                   double eps, double weight_decay, bool maximize);

/* NAdam: *mu_product (1 before the first step) is updated, rounded to float
 * as PyTorch's float32 state tensor. */
LC_API int lc_nadam_step(lc_tensor *param, const lc_tensor *grad, lc_tensor *exp_avg,
                  lc_tensor *exp_avg_sq, int64_t step, double *mu_product, double lr,
                  double beta1, double beta2, double weight_decay, double momentum_decay,
                  double eps);

LC_API int lc_radam_step(lc_tensor *param, const lc_tensor *grad, lc_tensor *exp_avg,
                  lc_tensor *exp_avg_sq, int64_t step, double lr, double beta1, double beta2,
                  double weight_decay, double eps);

#endif
