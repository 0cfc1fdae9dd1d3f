// SPDX-License-Identifier: MIT
// A plain hand-written oneDNN C3D forward (channels-last activations, blocked weights, fused
// ReLU): the speed libparn's engine aims for. Usage: c3d_onednn [iters]
#include <dnnl.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <unordered_map>
#include <vector>

using namespace dnnl;
using tag = memory::format_tag;
using dt = memory::data_type;

int main(int argc, char **argv)
{
    int iters = argc > 1 ? std::atoi(argv[1]) : 10;
    engine eng(engine::kind::cpu, 0);
    stream s(eng);
    const int chans[6] = {3, 64, 128, 256, 256, 256};
    int d = 16, h = 112, w = 112;
    std::vector<std::pair<primitive, std::unordered_map<int, memory>>> net;
    memory cur(memory::desc({1, 3, d, h, w}, dt::f32, tag::ndhwc), eng);
    for (int l = 0; l < 5; l++) {
        memory::dims src = {1, chans[l], d, h, w}, wd = {chans[l + 1], chans[l], 3, 3, 3},
                     dst = {1, chans[l + 1], d, h, w};
        auto cd = convolution_forward::desc(prop_kind::forward_inference, algorithm::convolution_direct,
            memory::desc(src, dt::f32, tag::ndhwc), memory::desc(wd, dt::f32, tag::any),
            memory::desc({chans[l + 1]}, dt::f32, tag::x), memory::desc(dst, dt::f32, tag::ndhwc),
            {1, 1, 1}, {1, 1, 1}, {1, 1, 1});
        post_ops po;
        po.append_eltwise(1.f, algorithm::eltwise_relu, 0.f, 0.f);
        primitive_attr attr;
        attr.set_post_ops(po);
        auto pd = convolution_forward::primitive_desc(cd, attr, eng);
        memory wm(pd.weights_desc(), eng), bm(pd.bias_desc(), eng), out(pd.dst_desc(), eng);
        net.push_back({convolution_forward(pd), {{DNNL_ARG_SRC, cur}, {DNNL_ARG_WEIGHTS, wm},
                                                  {DNNL_ARG_BIAS, bm}, {DNNL_ARG_DST, out}}});
        int kd = l == 0 ? 1 : 2;
        memory::dims pdims = {1, chans[l + 1], d / kd, h / 2, w / 2};
        auto pool = pooling_forward::primitive_desc(pooling_forward::desc(prop_kind::forward_inference,
            algorithm::pooling_max, out.get_desc(), memory::desc(pdims, dt::f32, tag::ndhwc),
            {kd, 2, 2}, {kd, 2, 2}, {0, 0, 0}, {0, 0, 0}), eng);
        memory pooled(pool.dst_desc(), eng);
        net.push_back({pooling_forward(pool), {{DNNL_ARG_SRC, out}, {DNNL_ARG_DST, pooled}}});
        cur = pooled;
        d /= kd, h /= 2, w /= 2;
    }
    // The FC layers are small next to the convolutions; inner products on the flattened features.
    memory::dim in = 256 * 1 * 3 * 3;
    memory flat(memory::desc({1, in}, dt::f32, tag::nc), eng, cur.get_data_handle());
    const memory::dim fcs[3] = {2048, 2048, 101};
    for (int l = 0; l < 3; l++) {
        auto ipd = inner_product_forward::primitive_desc(inner_product_forward::desc(
            prop_kind::forward_inference, memory::desc({1, in}, dt::f32, tag::nc),
            memory::desc({fcs[l], in}, dt::f32, tag::any), memory::desc({fcs[l]}, dt::f32, tag::x),
            memory::desc({1, fcs[l]}, dt::f32, tag::nc)), eng);
        memory wm(ipd.weights_desc(), eng), bm(ipd.bias_desc(), eng), out(ipd.dst_desc(), eng);
        net.push_back({inner_product_forward(ipd), {{DNNL_ARG_SRC, flat}, {DNNL_ARG_WEIGHTS, wm},
                                                     {DNNL_ARG_BIAS, bm}, {DNNL_ARG_DST, out}}});
        flat = out;
        in = fcs[l];
    }
    std::vector<double> ms;
    for (int i = 0; i < iters + 2; i++) {
        auto t0 = std::chrono::steady_clock::now();
        for (auto &p : net) p.first.execute(s, p.second);
        s.wait();
        if (i >= 2) ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    std::sort(ms.begin(), ms.end());
    std::printf("hand-written oneDNN C3D forward: batch 1: %.1f ms/clip (median of %d)\n", ms[ms.size() / 2], iters);
    return 0;
}
