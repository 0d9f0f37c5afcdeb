// The evidence locker's resumable uploader (protocol: docs/evidence.md). Each file is started with its
// size (and SHA-256 when the browser can compute it cheaply), then sent in chunks at the offset the server
// holds. A dropped connection is retried from the server's offset; the upload id is remembered per file
// so that choosing the same file again after a reload carries on instead of starting over.
(function () {
  "use strict";
  var HASH_LIMIT = 256 * 1024 * 1024; // hashing reads the whole file into memory: only for smaller ones
  var MAX_RETRIES = 12;

  function memoryKey(file, form) {
    return "evidence-upload:" + (form.dataset.target || "") + ":" + file.name + ":" + file.size + ":" + file.lastModified;
  }

  function wait(ms) { return new Promise(function (resolve) { setTimeout(resolve, ms); }); }

  function hex(buffer) {
    return Array.prototype.map.call(new Uint8Array(buffer), function (b) { return b.toString(16).padStart(2, "0"); }).join("");
  }

  function sha256(file) {
    if (!window.crypto || !crypto.subtle || file.size > HASH_LIMIT) { return Promise.resolve(""); }
    return file.arrayBuffer().then(function (data) { return crypto.subtle.digest("SHA-256", data); }).then(hex)
      .catch(function () { return ""; });
  }

  function Uploader(form) {
    this.form = form;
    this.csrf = form.querySelector("[name=csrfmiddlewaretoken]").value;
    this.bar = form.querySelector("progress");
    this.status = form.querySelector("[role=status]");
    this.done = form.querySelector(".upload-done");
    var request = form.querySelector("[name=footage_request_id]");
    form.dataset.target = request ? "request-" + request.value : "case";
    form.addEventListener("submit", this.submit.bind(this));
  }

  Uploader.prototype.say = function (text) { this.status.textContent = text; };

  // Messages come translated from the page (data-msg-*), with English as the fallback.
  Uploader.prototype.msg = function (name, fallback, file) {
    return (this.form.dataset["msg" + name] || fallback).replace("%(name)s", file ? file.name : "");
  };

  Uploader.prototype.call = function (method, url, body, headers) {
    headers = Object.assign({"X-CSRFToken": this.csrf}, headers || {});
    if (body && !(body instanceof Blob)) { headers["Content-Type"] = "application/json"; body = JSON.stringify(body); }
    return fetch(url, {method: method, body: body, headers: headers, credentials: "same-origin"}).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return {status: response.status, data: data};
      });
    });
  };

  Uploader.prototype.start = function (file) {
    var self = this, key = memoryKey(file, this.form), known = localStorage.getItem(key);
    var resume = known ? this.call("GET", this.form.dataset.startUrl + "/" + known) : Promise.resolve(null);
    return resume.then(function (answer) {
      if (answer && answer.status === 200 && answer.data.status === "receiving" && answer.data.size === file.size) {
        return {id: known, offset: answer.data.offset, chunk: null};
      }
      self.say(self.msg("Preparing", "Preparing %(name)s…", file));
      return sha256(file).then(function (digest) {
        var fields = {filename: file.name, size: file.size, content_type: file.type || "",
                      sha256: digest, description: self.form.querySelector("[name=description]").value};
        var request = self.form.querySelector("[name=footage_request_id]");
        if (request) { fields.footage_request_id = Number(request.value); }
        else { fields.case_number = self.form.querySelector("[name=case_number]").value; }
        return self.call("POST", self.form.dataset.startUrl, fields).then(function (answer) {
          if (answer.status !== 201) { throw new Error(answer.data.detail || self.msg("Refused", "The upload was refused.")); }
          localStorage.setItem(key, answer.data.id);
          return {id: answer.data.id, offset: answer.data.offset, chunk: answer.data.chunk_bytes};
        });
      });
    });
  };

  Uploader.prototype.send = function (file, upload) {
    var self = this, url = this.form.dataset.startUrl + "/" + upload.id;
    var chunk = upload.chunk || 4 * 1024 * 1024, offset = upload.offset, retries = 0;
    function show() {
      var percent = file.size ? Math.floor(offset * 100 / file.size) : 100;
      self.bar.value = percent;
      self.say(file.name + ": " + percent + "%");
    }
    function next() {
      show();
      var piece = file.slice(offset, Math.min(offset + chunk, file.size));
      return self.call("PUT", url, piece, {"Upload-Offset": String(offset), "Content-Type": "application/octet-stream"})
        .then(function (answer) {
          if (answer.status === 200) {
            offset = answer.data.offset; retries = 0;
            if (answer.data.status === "complete") { return answer.data; }
            return next();
          }
          if (answer.status === 409 && typeof answer.data.offset === "number") {
            offset = answer.data.offset; // the server holds a different offset: carry on from there
            return next();
          }
          throw new Error(answer.data.detail || self.msg("Refused", "The upload was refused."));
        }, function () {
          // The connection dropped: wait, ask the server where it stands, carry on.
          if (++retries > MAX_RETRIES) { throw new Error(self.msg("Gaveup", "The connection keeps dropping. Choose the same file again later to resume.")); }
          self.say(self.msg("Retrying", "%(name)s: connection lost, retrying…", file));
          return wait(Math.min(30000, 1000 * Math.pow(2, retries - 1))).then(function () {
            return self.call("GET", url).then(function (answer) {
              if (answer.status === 200) { offset = answer.data.offset; }
              return next();
            }, next);
          });
        });
    }
    return next();
  };

  Uploader.prototype.submit = function (event) {
    event.preventDefault();
    var self = this, input = this.form.querySelector("input[type=file]"), files = Array.prototype.slice.call(input.files);
    var button = this.form.querySelector("button[type=submit]");
    if (!files.length) { return; }
    button.disabled = true;
    this.form.querySelector(".upload-progress").hidden = false;
    files.reduce(function (chain, file) {
      return chain.then(function () {
        return self.start(file).then(function (upload) { return self.send(file, upload); }).then(function () {
          localStorage.removeItem(memoryKey(file, self.form));
          var line = document.createElement("li");
          line.textContent = file.name + " ✓";
          self.done.appendChild(line);
        });
      });
    }, Promise.resolve()).then(function () {
      self.say(self.msg("Done", "Uploaded."));
      if (self.form.hasAttribute("data-reload")) { window.location.reload(); }
    }, function (error) {
      self.say(error.message);
    }).then(function () { button.disabled = false; });
  };

  document.querySelectorAll("[data-evidence-upload]").forEach(function (form) { new Uploader(form); });
})();
