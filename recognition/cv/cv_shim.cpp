// cv_shim.cpp - the OpenCV calls behind cv_shim.h: cvs_resize_area,
// cvs_match_template, cvs_warp_affine, cvs_dilate, cvs_erode, cvs_set_threads.
// Every exception stops here and becomes a telle error.
#include "recognition/cv/cv_shim.h"

extern "C" {
#include "core/error.h"
}

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <cstdlib>
#include <new>

namespace {

cv::Mat wrap(const cvs_view *v)
{
    return cv::Mat(v->height, v->width, CV_8UC1, const_cast<uint8_t *>(v->data),
                   v->stride);
}

cv::Mat wrap(const cvs_buf *b)
{
    return cv::Mat(b->height, b->width, CV_8UC1, b->data, b->stride);
}

int fail(const char *what, const cv::Exception &e)
{
    return err_set(TELLE_EINVAL, "%s: %s", what, e.what());
}

} // namespace

extern "C" void cvs_set_threads(int n)
{
    cv::setNumThreads(n);
}

extern "C" int cvs_resize_area(const cvs_view *src, const cvs_buf *dst)
{
    try {
        cv::Mat d = wrap(dst);
        cv::resize(wrap(src), d, d.size(), 0, 0, cv::INTER_AREA);
        return 0;
    } catch (const cv::Exception &e) {
        return fail("resize", e);
    } catch (const std::bad_alloc &) {
        return err_set(TELLE_ENOMEM, "resize: out of memory");
    }
}

// Offset of a parabola's vertex through (-1, a), (0, b), (1, c), in -0.5..0.5.
static double vertex(double a, double b, double c)
{
    double den = a - 2 * b + c;
    if (!(den < 0))
        return 0;
    double d = 0.5 * (a - c) / den;
    return d < -0.5 ? -0.5 : d > 0.5 ? 0.5 : d;
}

extern "C" int cvs_match_template(const cvs_view *src, const cvs_view *tpl,
                                  double *best_x, double *best_y, double *best_score)
{
    *best_x = *best_y = 0;
    *best_score = 0;
    if (src->width < tpl->width || src->height < tpl->height)
        return err_set(TELLE_EINVAL, "match_template: window %dx%d smaller than template %dx%d",
                       src->width, src->height, tpl->width, tpl->height);
    try {
        cv::Mat res;
        cv::matchTemplate(wrap(src), wrap(tpl), res, cv::TM_CCOEFF_NORMED);
        double mx = 0;
        cv::Point loc;
        cv::minMaxLoc(res, nullptr, &mx, nullptr, &loc);
        // A flat window gives NaN or inf; it matches nothing.
        if (!(mx >= -1.0 && mx <= 1.0 + 1e-6))
            mx = 0;
        double fx = loc.x, fy = loc.y;
        if (loc.x > 0 && loc.x < res.cols - 1)
            fx += vertex(res.at<float>(loc.y, loc.x - 1), res.at<float>(loc.y, loc.x),
                         res.at<float>(loc.y, loc.x + 1));
        if (loc.y > 0 && loc.y < res.rows - 1)
            fy += vertex(res.at<float>(loc.y - 1, loc.x), res.at<float>(loc.y, loc.x),
                         res.at<float>(loc.y + 1, loc.x));
        *best_x = fx;
        *best_y = fy;
        *best_score = mx;
        return 0;
    } catch (const cv::Exception &e) {
        return fail("match_template", e);
    } catch (const std::bad_alloc &) {
        return err_set(TELLE_ENOMEM, "match_template: out of memory");
    }
}

extern "C" int cvs_warp_affine(const cvs_view *src, const cvs_buf *dst,
                               const double m[6], uint8_t border)
{
    try {
        cv::Mat M = (cv::Mat_<double>(2, 3) << m[0], m[1], m[2], m[3], m[4], m[5]);
        cv::Mat d = wrap(dst);
        cv::warpAffine(wrap(src), d, M, d.size(), cv::INTER_LINEAR | cv::WARP_INVERSE_MAP,
                       cv::BORDER_CONSTANT, cv::Scalar(border));
        return 0;
    } catch (const cv::Exception &e) {
        return fail("warp_affine", e);
    } catch (const std::bad_alloc &) {
        return err_set(TELLE_ENOMEM, "warp_affine: out of memory");
    }
}

// Dilation or erosion by a disc of radius_px (0: a copy).
static int morph(const cvs_view *src, const cvs_buf *dst, int radius_px, int op, const char *what)
{
    try {
        cv::Mat d = wrap(dst);
        if (radius_px <= 0) {
            wrap(src).copyTo(d);
            return 0;
        }
        cv::Mat k = cv::getStructuringElement(cv::MORPH_ELLIPSE,
                                              cv::Size(2 * radius_px + 1, 2 * radius_px + 1));
        cv::morphologyEx(wrap(src), d, op, k);
        return 0;
    } catch (const cv::Exception &e) {
        return fail(what, e);
    } catch (const std::bad_alloc &) {
        return err_set(TELLE_ENOMEM, "%s: out of memory", what);
    }
}

extern "C" int cvs_dilate(const cvs_view *src, const cvs_buf *dst, int radius_px)
{
    return morph(src, dst, radius_px, cv::MORPH_DILATE, "dilate");
}

extern "C" int cvs_erode(const cvs_view *src, const cvs_buf *dst, int radius_px)
{
    return morph(src, dst, radius_px, cv::MORPH_ERODE, "erode");
}
