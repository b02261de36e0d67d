/*
 * Conformance runner for the C ABI (include/misp_guard.h).
 *
 * Usage: conformance SCENARIO_FILE
 *
 * The Rust driver (ffi/tests/c_conformance.rs) turns the JSON scenario files of the
 * conformance corpus into SCENARIO_FILE, one "key value" record per line:
 *
 *   folder NAME CONFIG_PATH      start a corpus folder: load its configuration
 *   scenario NAME                start a scenario
 *   method M | url U | scheme S | src IP | host H | port P
 *   request_body PATH            request body (file); absent: no body
 *   response_body PATH           upstream response (file); absent: no upstream
 *   response_header NAME: VALUE  upstream response header (repeatable)
 *   status N                     expected status (200 or 403)
 *   log TEXT                     expected log substring (repeatable)
 *   end                          run the scenario
 *
 * Each scenario goes through the C API as a proxy would: misp_guard_check_request,
 * then an evaluator for each body the decision asks for, fed in small chunks. The
 * evaluators are placed three ways in turn (heap new/free, caller memory init/deinit,
 * one heap evaluator reused with reset). Prints "FOLDER: N passed, M failed" per
 * folder, then API contract checks ("api: ..."), then "total: N passed, M failed".
 * Exit status 0 only when nothing failed.
 */
#include "misp_guard.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LINE 16384
#define MAX_LOGS 16
#define MAX_HEADERS 16
#define LOG_CAP 8192

struct scenario {
  char name[256];
  char method[32];
  char url[2048];
  char scheme[16];
  char src[128];
  char host[256];
  unsigned port;
  char request_body[1024];
  int has_request_body;
  char response_body[1024];
  int has_response_body;
  char header_names[MAX_HEADERS][128];
  char header_values[MAX_HEADERS][512];
  size_t n_headers;
  int status;
  char logs[MAX_LOGS][2048];
  size_t n_logs;
};

struct counts {
  unsigned passed;
  unsigned failed;
};

/* Caller-provided memory for evaluators (mode 1): allocated once, reused. */
static void *slab;
/* A heap evaluator reused through reset (mode 2); freed at each folder change. */
static misp_guard_evaluator *kept;

static misp_guard_str str_of(const char *s) {
  misp_guard_str r;
  r.data = s;
  r.len = strlen(s);
  return r;
}

static char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  char *buf = NULL;
  size_t cap = 0, n = 0;
  if (!f) return NULL;
  for (;;) {
    if (n == cap) {
      char *grown;
      cap = cap ? cap * 2 : 4096;
      grown = realloc(buf, cap);
      if (!grown) {
        free(buf);
        fclose(f);
        return NULL;
      }
      buf = grown;
    }
    size_t got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (got == 0) break;
  }
  fclose(f);
  *len = n;
  return buf;
}

/* Appends one log line (misp-guard logs one record per line). */
static void log_append(char *logs, const char *line) {
  size_t used = strlen(logs);
  size_t add = strlen(line);
  if (used + add + 2 > LOG_CAP) return;
  memcpy(logs + used, line, add);
  logs[used + add] = '\n';
  logs[used + add + 1] = '\0';
}

/*
 * Runs one body through an evaluator. Returns 1 when blocked (and logs the line),
 * 0 when allowed, -1 on an API failure (which a proxy must treat as a block).
 */
static int judge_body(const misp_guard_policy *policy, const misp_guard_inspection *insp,
                      const misp_guard_header *headers, size_t n_headers, const char *path,
                      const struct scenario *sc, unsigned mode, size_t chunk, char *logs) {
  misp_guard_evaluator *ev = NULL;
  misp_guard_result rc;
  size_t body_len = 0, off;
  char *body = NULL;
  misp_guard_body_verdict v;
  int outcome = -1;

  if (path) {
    body = read_file(path, &body_len);
    if (!body) {
      fprintf(stderr, "%s: cannot read %s\n", sc->name, path);
      return -1;
    }
  }
  switch (mode) {
    case 0:
      rc = misp_guard_evaluator_new(policy, insp, headers, n_headers, &ev);
      break;
    case 1:
      rc = misp_guard_evaluator_init(slab, misp_guard_evaluator_size(), policy, insp, headers,
                                     n_headers, &ev);
      if (rc == MISP_GUARD_RESULT_OK && (void *)ev != slab) {
        fprintf(stderr, "%s: init did not place the evaluator in the buffer\n", sc->name);
        misp_guard_evaluator_deinit(ev);
        goto out;
      }
      break;
    default:
      if (kept) {
        rc = misp_guard_evaluator_reset(kept, insp, headers, n_headers);
      } else {
        rc = misp_guard_evaluator_new(policy, insp, headers, n_headers, &kept);
      }
      ev = kept;
      break;
  }
  if (rc != MISP_GUARD_RESULT_OK) {
    fprintf(stderr, "%s: evaluator creation: %s\n", sc->name, misp_guard_result_text(rc));
    goto out;
  }
  for (off = 0; off < body_len; off += chunk) {
    size_t n = body_len - off < chunk ? body_len - off : chunk;
    misp_guard_progress progress = MISP_GUARD_PROGRESS_CONTINUE;
    rc = misp_guard_evaluator_feed(ev, (const uint8_t *)body + off, n, &progress);
    if (rc != MISP_GUARD_RESULT_OK) {
      fprintf(stderr, "%s: feed: %s\n", sc->name, misp_guard_result_text(rc));
      goto release;
    }
  }
  rc = misp_guard_evaluator_finish(ev, &v);
  if (rc != MISP_GUARD_RESULT_OK) {
    fprintf(stderr, "%s: finish: %s\n", sc->name, misp_guard_result_text(rc));
    goto release;
  }
  if (v.verdict == MISP_GUARD_VERDICT_BLOCK) {
    char line[4096];
    size_t written = 0;
    rc = misp_guard_evaluator_log_line(ev, str_of(sc->method), str_of(sc->url), line,
                                       sizeof line, &written);
    if (rc != MISP_GUARD_RESULT_OK || written != strlen(line)) {
      fprintf(stderr, "%s: log line: %s\n", sc->name, misp_guard_result_text(rc));
      goto release;
    }
    /* The borrowed message must be the tail of the rendered line. */
    if (v.message.len > written ||
        memcmp(line + written - v.message.len, v.message.data, v.message.len) != 0 ||
        v.reason == 0 || v.reason_code.len == 0) {
      fprintf(stderr, "%s: verdict fields disagree with the log line\n", sc->name);
      goto release;
    }
    log_append(logs, line);
    outcome = 1;
  } else {
    if (v.reason != 0 || v.message.len != 0) {
      fprintf(stderr, "%s: an allow verdict carries a reason\n", sc->name);
      goto release;
    }
    outcome = 0;
  }
release:
  if (mode == 0) {
    misp_guard_evaluator_free(ev);
  } else if (mode == 1) {
    misp_guard_evaluator_deinit(ev);
  }
out:
  free(body);
  return outcome;
}

/* Returns 1 when the scenario behaves as expected. */
static int run_scenario(const misp_guard_policy *policy, const struct scenario *sc,
                        unsigned index) {
  static const char ct_name[] = "Content-Type";
  static const char ct_json[] = "application/json";
  misp_guard_header req_headers[1];
  misp_guard_header resp_headers[MAX_HEADERS];
  misp_guard_request_decision d;
  misp_guard_result rc;
  char logs[LOG_CAP];
  int status = 200;
  unsigned mode = index % 3;
  size_t chunk = 1 + (index * 7) % 13, i;

  logs[0] = '\0';
  req_headers[0].name = (const uint8_t *)ct_name;
  req_headers[0].name_len = strlen(ct_name);
  req_headers[0].value = (const uint8_t *)ct_json;
  req_headers[0].value_len = strlen(ct_json);
  for (i = 0; i < sc->n_headers; i++) {
    resp_headers[i].name = (const uint8_t *)sc->header_names[i];
    resp_headers[i].name_len = strlen(sc->header_names[i]);
    resp_headers[i].value = (const uint8_t *)sc->header_values[i];
    resp_headers[i].value_len = strlen(sc->header_values[i]);
  }

  rc = misp_guard_check_request(policy, str_of(sc->method), str_of(sc->url),
                                str_of(sc->scheme), str_of(sc->src), str_of(sc->host),
                                (uint16_t)sc->port, req_headers,
                                sc->has_request_body ? 1 : 0, &d);
  if (rc != MISP_GUARD_RESULT_OK) {
    fprintf(stderr, "%s: check_request: %s\n", sc->name, misp_guard_result_text(rc));
    return 0;
  }
  if (d.verdict == MISP_GUARD_VERDICT_BLOCK) {
    status = 403;
    if (d.has_preamble) log_append(logs, d.preamble);
    log_append(logs, d.log_line);
  } else {
    if (d.allowlisted != MISP_GUARD_ALLOWLISTED_NONE) log_append(logs, d.log_line);
    if (d.inspect_request) {
      int r = judge_body(policy, &d.request, req_headers, 1,
                         sc->has_request_body ? sc->request_body : NULL, sc, mode, chunk, logs);
      if (r < 0) return 0;
      if (r == 1) status = 403;
    }
    if (status == 200 && d.inspect_response && sc->has_response_body) {
      int r = judge_body(policy, &d.response, resp_headers, sc->n_headers, sc->response_body,
                         sc, (mode + 1) % 3, chunk, logs);
      if (r < 0) return 0;
      if (r == 1) status = 403;
    }
  }

  if (status != sc->status) {
    fprintf(stderr, "FAIL %s: status %d, expected %d; logs:\n%s", sc->name, status, sc->status,
            logs);
    return 0;
  }
  for (i = 0; i < sc->n_logs; i++) {
    if (!strstr(logs, sc->logs[i])) {
      fprintf(stderr, "FAIL %s: missing log \"%s\"; logs:\n%s", sc->name, sc->logs[i], logs);
      return 0;
    }
  }
  return 1;
}

static void copy_field(char *dst, size_t cap, const char *src, const char *what,
                       const char *scenario) {
  if (strlen(src) >= cap) {
    fprintf(stderr, "%s: %s too long, truncated\n", scenario, what);
  }
  snprintf(dst, cap, "%s", src);
}

#define CHECK(cond)                                                        \
  do {                                                                     \
    if (cond) {                                                            \
      api->passed++;                                                       \
    } else {                                                               \
      api->failed++;                                                       \
      fprintf(stderr, "FAIL api %s:%d: %s\n", __FILE__, __LINE__, #cond); \
    }                                                                      \
  } while (0)

/* Contract checks that the corpus does not reach: NULLs, bad buffers, states. */
static void api_checks(const char *config_path, struct counts *api) {
  static const char bad_json[] = "{\n  \"instances\": 5\n}";
  char err[256];
  char small_err[8] = "";
  size_t len = 0, written = 0;
  char *json = read_file(config_path, &len);
  const misp_guard_policy *policy = NULL;
  misp_guard_request_decision d;
  misp_guard_evaluator *ev = NULL;
  misp_guard_body_verdict v;
  misp_guard_inspection bad;
  misp_guard_progress progress;
  unsigned char *raw;
  size_t size = misp_guard_evaluator_size(), align = misp_guard_evaluator_align();
  static const char body[] = "{\"minimal\": 1, \"published\": 1}";

  CHECK(json != NULL);
  if (!json) return;
  CHECK(strcmp(misp_guard_version(), MISP_GUARD_VERSION) == 0);
  CHECK(strcmp(misp_guard_result_text(MISP_GUARD_RESULT_OK), "ok") == 0);
  CHECK(strcmp(misp_guard_result_text(9999), "unknown result") == 0);

  /* Policy loading. */
  CHECK(misp_guard_policy_new(NULL, 10, &policy, err, sizeof err) ==
        MISP_GUARD_RESULT_NULL_PARAMETER);
  CHECK(misp_guard_policy_new((const uint8_t *)json, len, NULL, err, sizeof err) ==
        MISP_GUARD_RESULT_NULL_PARAMETER);
  CHECK(misp_guard_policy_new((const uint8_t *)json, len, &policy, NULL, 5) ==
        MISP_GUARD_RESULT_NULL_PARAMETER);
  err[0] = '\0';
  CHECK(misp_guard_policy_new((const uint8_t *)bad_json, strlen(bad_json), &policy, err,
                              sizeof err) == MISP_GUARD_RESULT_CONFIG_ERROR);
  /* "LINE:COL: message": the wrong type is on line 2. */
  {
    unsigned line = 0, col = 0;
    CHECK(sscanf(err, "%u:%u:", &line, &col) == 2 && line == 2 && col > 0);
  }
  CHECK(misp_guard_policy_new((const uint8_t *)bad_json, strlen(bad_json), &policy, small_err,
                              sizeof small_err) == MISP_GUARD_RESULT_CONFIG_ERROR);
  CHECK(strlen(small_err) < sizeof small_err);
  CHECK(misp_guard_policy_new((const uint8_t *)bad_json, strlen(bad_json), &policy, NULL, 0) ==
        MISP_GUARD_RESULT_CONFIG_ERROR);
  CHECK(misp_guard_policy_new((const uint8_t *)json, len, &policy, err, sizeof err) ==
        MISP_GUARD_RESULT_OK);
  free(json);
  if (!policy) return;

  /* Request decisions. */
  CHECK(misp_guard_check_request(NULL, str_of("GET"), str_of("/users"), str_of("https"),
                                 str_of("20.0.0.2"), str_of("x"), 443, NULL, 0,
                                 &d) == MISP_GUARD_RESULT_NULL_PARAMETER);
  CHECK(misp_guard_check_request(policy, str_of("GET"), str_of("/users"), str_of("https"),
                                 str_of("20.0.0.2"), str_of("x"), 443, NULL, 0,
                                 NULL) == MISP_GUARD_RESULT_NULL_PARAMETER);
  {
    misp_guard_str null_with_len = {NULL, 3};
    misp_guard_str not_utf8 = {"\xff\xfe", 2};
    CHECK(misp_guard_check_request(policy, null_with_len, str_of("/users"), str_of("https"),
                                   str_of("20.0.0.2"), str_of("x"), 443, NULL, 0,
                                   &d) == MISP_GUARD_RESULT_NULL_PARAMETER);
    CHECK(misp_guard_check_request(policy, str_of("GET"), not_utf8, str_of("https"),
                                   str_of("20.0.0.2"), str_of("x"), 443, NULL, 0,
                                   &d) == MISP_GUARD_RESULT_INVALID_UTF8);
  }
  /* A known source and destination, an endpoint with a request body to inspect. */
  CHECK(misp_guard_check_request(policy, str_of("POST"), str_of("/events/index"),
                                 str_of("https"), str_of("20.0.0.2"),
                                 str_of("instance1-comp1.com"), 443, NULL, 0,
                                 &d) == MISP_GUARD_RESULT_OK);
  CHECK(d.verdict == MISP_GUARD_VERDICT_ALLOW && d.inspect_request && d.reason == 0);
  CHECK(d.request.kind == MISP_GUARD_BODY_KIND_MINIMAL_SEARCH_EVENTS_INDEX);
  CHECK(d.request.side == MISP_GUARD_SIDE_REQUEST);

  /* Evaluators: bad inspections are refused, not trusted. */
  bad = d.request;
  bad.kind = 0;
  CHECK(misp_guard_evaluator_new(policy, &bad, NULL, 0, &ev) ==
        MISP_GUARD_RESULT_INVALID_INSPECTION);
  bad = d.request;
  bad.count = 60000;
  CHECK(misp_guard_evaluator_new(policy, &bad, NULL, 0, &ev) ==
        MISP_GUARD_RESULT_INVALID_INSPECTION);
  CHECK(misp_guard_evaluator_new(policy, NULL, NULL, 0, &ev) ==
        MISP_GUARD_RESULT_NULL_PARAMETER);
  CHECK(misp_guard_evaluator_new(policy, &d.request, NULL, 2, &ev) ==
        MISP_GUARD_RESULT_NULL_PARAMETER);
  CHECK(ev == NULL);

  /* Caller memory: size, alignment. */
  CHECK(size > 0 && align > 0 && (align & (align - 1)) == 0);
  raw = malloc(size + 2 * align);
  CHECK(raw != NULL);
  if (raw) {
    unsigned char *aligned = raw + (align - ((uintptr_t)raw % align)) % align;
    if (align > 1) {
      CHECK(misp_guard_evaluator_init(aligned + 1, size + align, policy, &d.request, NULL, 0,
                                      &ev) == MISP_GUARD_RESULT_MISALIGNED);
    }
    CHECK(misp_guard_evaluator_init(aligned, size - 1, policy, &d.request, NULL, 0, &ev) ==
          MISP_GUARD_RESULT_BUFFER_TOO_SMALL);
    CHECK(misp_guard_evaluator_init(aligned, size, policy, &d.request, NULL, 0, &ev) ==
          MISP_GUARD_RESULT_OK);
    CHECK((void *)ev == (void *)aligned);
    /* The evaluator keeps the policy alive: free the caller's reference now. */
    misp_guard_policy_free(policy);
    policy = NULL;
    CHECK(misp_guard_evaluator_log_line(ev, str_of("POST"), str_of("/events/index"), err,
                                        sizeof err, &written) ==
          MISP_GUARD_RESULT_INVALID_STATE);
    CHECK(misp_guard_evaluator_feed(ev, NULL, 4, &progress) == MISP_GUARD_RESULT_NULL_PARAMETER);
    CHECK(misp_guard_evaluator_feed(ev, NULL, 0, NULL) == MISP_GUARD_RESULT_OK);
    CHECK(misp_guard_evaluator_feed(ev, (const uint8_t *)body, strlen(body), NULL) ==
          MISP_GUARD_RESULT_OK);
    CHECK(misp_guard_evaluator_finish(ev, NULL) == MISP_GUARD_RESULT_NULL_PARAMETER);
    CHECK(misp_guard_evaluator_finish(ev, &v) == MISP_GUARD_RESULT_OK);
    CHECK(misp_guard_evaluator_feed(ev, (const uint8_t *)"x", 1, NULL) ==
          MISP_GUARD_RESULT_INVALID_STATE);
    {
      misp_guard_body_verdict again;
      CHECK(misp_guard_evaluator_finish(ev, &again) == MISP_GUARD_RESULT_OK);
      CHECK(again.verdict == v.verdict && again.reason == v.reason);
    }
    if (v.verdict == MISP_GUARD_VERDICT_BLOCK) {
      CHECK(misp_guard_evaluator_log_line(ev, str_of("POST"), str_of("/events/index"),
                                          small_err, sizeof small_err, &written) ==
            MISP_GUARD_RESULT_BUFFER_TOO_SMALL);
      CHECK(written >= sizeof small_err);
    } else {
      CHECK(misp_guard_evaluator_log_line(ev, str_of("POST"), str_of("/events/index"), err,
                                          sizeof err, &written) ==
            MISP_GUARD_RESULT_INVALID_STATE);
    }
    misp_guard_evaluator_deinit(ev);
    free(raw);
  }
  misp_guard_evaluator_free(NULL);
  misp_guard_evaluator_deinit(NULL);
  misp_guard_policy_free(policy);
}

int main(int argc, char **argv) {
  static char line[MAX_LINE];
  static struct scenario sc;
  struct counts folder = {0, 0}, total = {0, 0}, api = {0, 0};
  char folder_name[256] = "";
  char first_config[1024] = "";
  const misp_guard_policy *policy = NULL;
  unsigned index = 0;
  FILE *in;
  size_t align = misp_guard_evaluator_align(), size = misp_guard_evaluator_size();

  if (argc != 2) {
    fprintf(stderr, "usage: %s SCENARIO_FILE\n", argv[0]);
    return 2;
  }
  in = fopen(argv[1], "r");
  if (!in) {
    perror(argv[1]);
    return 2;
  }
  /* aligned_alloc wants a size that is a multiple of the alignment. */
  slab = aligned_alloc(align, (size + align - 1) / align * align);
  if (!slab) return 2;

  while (fgets(line, sizeof line, in)) {
    char *key = line, *val;
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = '\0';
    val = strchr(line, ' ');
    if (val) *val++ = '\0';
    else val = line + n;

    if (strcmp(key, "folder") == 0) {
      char *config = strchr(val, ' ');
      char err[512];
      size_t len = 0;
      char *json;
      if (folder_name[0]) {
        printf("%s: %u passed, %u failed\n", folder_name, folder.passed, folder.failed);
      }
      folder.passed = folder.failed = 0;
      misp_guard_evaluator_free(kept);
      kept = NULL;
      misp_guard_policy_free(policy);
      policy = NULL;
      if (!config) return 2;
      *config++ = '\0';
      snprintf(folder_name, sizeof folder_name, "%s", val);
      if (!first_config[0]) snprintf(first_config, sizeof first_config, "%s", config);
      json = read_file(config, &len);
      if (!json) {
        perror(config);
        return 2;
      }
      if (misp_guard_policy_new((const uint8_t *)json, len, &policy, err, sizeof err) !=
          MISP_GUARD_RESULT_OK) {
        fprintf(stderr, "%s: %s\n", config, err);
        free(json);
        return 2;
      }
      free(json);
    } else if (strcmp(key, "scenario") == 0) {
      memset(&sc, 0, sizeof sc);
      copy_field(sc.name, sizeof sc.name, val, "name", val);
      snprintf(sc.scheme, sizeof sc.scheme, "https");
    } else if (strcmp(key, "method") == 0) {
      copy_field(sc.method, sizeof sc.method, val, key, sc.name);
    } else if (strcmp(key, "url") == 0) {
      copy_field(sc.url, sizeof sc.url, val, key, sc.name);
    } else if (strcmp(key, "scheme") == 0) {
      copy_field(sc.scheme, sizeof sc.scheme, val, key, sc.name);
    } else if (strcmp(key, "src") == 0) {
      copy_field(sc.src, sizeof sc.src, val, key, sc.name);
    } else if (strcmp(key, "host") == 0) {
      copy_field(sc.host, sizeof sc.host, val, key, sc.name);
    } else if (strcmp(key, "port") == 0) {
      sc.port = (unsigned)strtoul(val, NULL, 10);
    } else if (strcmp(key, "request_body") == 0) {
      copy_field(sc.request_body, sizeof sc.request_body, val, key, sc.name);
      sc.has_request_body = 1;
    } else if (strcmp(key, "response_body") == 0) {
      copy_field(sc.response_body, sizeof sc.response_body, val, key, sc.name);
      sc.has_response_body = 1;
    } else if (strcmp(key, "response_header") == 0) {
      char *colon = strstr(val, ": ");
      if (!colon || sc.n_headers == MAX_HEADERS) return 2;
      *colon = '\0';
      copy_field(sc.header_names[sc.n_headers], sizeof sc.header_names[0], val, key, sc.name);
      copy_field(sc.header_values[sc.n_headers], sizeof sc.header_values[0], colon + 2, key,
                 sc.name);
      sc.n_headers++;
    } else if (strcmp(key, "status") == 0) {
      sc.status = atoi(val);
    } else if (strcmp(key, "log") == 0) {
      if (sc.n_logs == MAX_LOGS) return 2;
      copy_field(sc.logs[sc.n_logs], sizeof sc.logs[0], val, key, sc.name);
      sc.n_logs++;
    } else if (strcmp(key, "end") == 0) {
      if (!policy) return 2;
      if (run_scenario(policy, &sc, index++)) {
        folder.passed++;
        total.passed++;
      } else {
        folder.failed++;
        total.failed++;
      }
    } else if (key[0] != '\0' && key[0] != '#') {
      fprintf(stderr, "unknown record: %s\n", key);
      return 2;
    }
  }
  fclose(in);
  if (folder_name[0]) {
    printf("%s: %u passed, %u failed\n", folder_name, folder.passed, folder.failed);
  }
  misp_guard_evaluator_free(kept);
  kept = NULL;
  misp_guard_policy_free(policy);
  free(slab);

  if (first_config[0]) api_checks(first_config, &api);
  printf("api: %u passed, %u failed\n", api.passed, api.failed);
  total.passed += api.passed;
  total.failed += api.failed;
  printf("total: %u passed, %u failed\n", total.passed, total.failed);
  return total.failed == 0 ? 0 : 1;
}
