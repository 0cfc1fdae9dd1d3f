# SPDX-License-Identifier: MIT
"""Mean SSIM (Wang et al. 2004; pytorch-msssim's default): Gaussian window, per channel, 'valid'
filtering, C1 = 0.01^2 and C2 = 0.03^2 for data in [0, 1]. attrs["cl"] lists inputs that the
test routes through an identity op, so that they reach SSIM in channels-last layout."""
import torch
import torch.nn.functional as F

from gen_fixtures import Case


def gaussian_window(size, sigma, dtype):
    coords = torch.arange(size, dtype=torch.float64) - size // 2
    g = torch.exp(-coords ** 2 / (2 * sigma ** 2))
    return (g / g.sum()).to(dtype)


def ssim(x, y, window, sigma, c1=0.01 ** 2, c2=0.03 ** 2):
    channels = x.shape[1]
    g = gaussian_window(window, sigma, x.dtype)
    kernel = (g[:, None] * g[None, :]).expand(channels, 1, window, window)

    def filt(t):
        return F.conv2d(t, kernel, groups=channels)

    mu_x, mu_y = filt(x), filt(y)
    var_x = filt(x * x) - mu_x ** 2
    var_y = filt(y * y) - mu_y ** 2
    cov = filt(x * y) - mu_x * mu_y
    ssim_map = ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / ((mu_x ** 2 + mu_y ** 2 + c1) * (var_x + var_y + c2))
    return ssim_map.mean()


def cases():
    table = [((2, 3, 16, 16), 11, 1.5, []), ((1, 1, 23, 19), 11, 1.5, []), ((1, 1, 23, 19), 7, 1.5, [0]),
             ((2, 2, 13, 17), 7, 1.0, [0, 1]), ((1, 3, 11, 11), 11, 1.5, [1]), ((3, 2, 9, 12), 3, 0.8, []),
             ((1, 2, 5, 6), 1, 1.5, [0])]
    for shape, window, sigma, cl in table:
        x = torch.rand(shape)
        y = (x + 0.2 * torch.randn(shape)).clamp(0, 1)
        yield Case(f"w{window}{list(shape)}", {"window": window, "sigma": sigma, "cl": cl},
                   {"x": x, "y": y}, lambda x, y, w=window, s=sigma: ssim(x, y, w, s))
